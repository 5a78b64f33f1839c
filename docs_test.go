package trustroot_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryExportDocumented: every exported name of the module's packages
// that go doc shows (functions, types, constants, variables, methods of
// exported types and of unexported types embedded in exported structs)
// has a doc comment.
func TestEveryExportDocumented(t *testing.T) {
	skip := map[string]bool{"testdata": true, "node_modules": true, "examples": true, "interop": true, "tools": true, "out": true}
	type file struct {
		name string
		fset *token.FileSet
		ast  *ast.File
	}
	pkgs := map[string][]file{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && (skip[d.Name()] || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		pkgs[filepath.Dir(p)] = append(pkgs[filepath.Dir(p)], file{p, fset, f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 15 {
		t.Fatalf("read only %d packages; the walk lost its way", len(pkgs))
	}
	for _, files := range pkgs {
		// Unexported types embedded in exported structs: go doc shows
		// their methods.
		shown := map[string]bool{}
		for _, f := range files {
			ast.Inspect(f.ast, func(n ast.Node) bool {
				ts, ok := n.(*ast.TypeSpec)
				if !ok || !ts.Name.IsExported() {
					return true
				}
				if st, ok := ts.Type.(*ast.StructType); ok {
					for _, fld := range st.Fields.List {
						if id, ok := fld.Type.(*ast.Ident); ok && len(fld.Names) == 0 {
							shown[id.Name] = true
						}
					}
				}
				return true
			})
		}
		for _, f := range files {
			for _, decl := range f.ast.Decls {
				switch x := decl.(type) {
				case *ast.FuncDecl:
					if x.Name.IsExported() && x.Doc == nil && recvShown(x, shown) {
						t.Errorf("%s: func %s has no doc comment", f.fset.Position(x.Pos()), x.Name.Name)
					}
				case *ast.GenDecl:
					for _, spec := range x.Specs {
						switch s := spec.(type) {
						case *ast.TypeSpec:
							if s.Name.IsExported() && x.Doc == nil && s.Doc == nil {
								t.Errorf("%s: type %s has no doc comment", f.fset.Position(s.Pos()), s.Name.Name)
							}
						case *ast.ValueSpec:
							for _, n := range s.Names {
								if n.IsExported() && x.Doc == nil && s.Doc == nil && s.Comment == nil {
									t.Errorf("%s: %s has no doc comment", f.fset.Position(n.Pos()), n.Name)
								}
							}
						}
					}
				}
			}
		}
	}
}

// recvShown reports whether go doc shows a function: it has no receiver,
// or its receiver type is exported or embedded in an exported struct.
func recvShown(f *ast.FuncDecl, shown map[string]bool) bool {
	if f.Recv == nil || len(f.Recv.List) == 0 {
		return true
	}
	t := f.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	id, ok := t.(*ast.Ident)
	return !ok || id.IsExported() || shown[id.Name]
}
