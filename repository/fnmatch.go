package repository

import (
	"regexp"
	"strings"
	"sync"
)

// matchPath matches a target path against a pattern the way the TUF
// reference implementation does: both are split at "/", must have the same
// number of parts, and each part must match its pattern part as Python's
// fnmatch matches it.
func matchPath(pattern, target string) bool {
	pp := strings.Split(pattern, "/")
	tp := strings.Split(target, "/")
	if len(pp) != len(tp) {
		return false
	}
	for i := range pp {
		re := fnmatchRegexp(pp[i])
		if re == nil || !re.MatchString(tp[i]) {
			return false
		}
	}
	return true
}

// Patterns come from metadata and repeat across searches: compiled
// expressions are kept, in a map cleared when full.
var fnmatchCache struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}

const fnmatchCacheEntries = 1024

// fnmatchRegexp returns the expression Python's fnmatch uses for pattern,
// or nil for one that cannot match anything.
func fnmatchRegexp(pattern string) *regexp.Regexp {
	fnmatchCache.Lock()
	re, ok := fnmatchCache.m[pattern]
	fnmatchCache.Unlock()
	if ok {
		return re
	}
	re, _ = regexp.Compile(fnmatchTranslate(pattern))
	fnmatchCache.Lock()
	if fnmatchCache.m == nil || len(fnmatchCache.m) >= fnmatchCacheEntries {
		fnmatchCache.m = map[string]*regexp.Regexp{}
	}
	fnmatchCache.m[pattern] = re
	fnmatchCache.Unlock()
	return re
}

// fnmatchTranslate translates a shell pattern to a regular expression with
// the rules of Python's fnmatch.translate: "*" matches any run of
// characters, "?" any one, "[...]" a class ("[!...]" negated; a "]" right
// after the opening bracket is literal; a "[" without its "]" is literal;
// ranges whose ends are reversed are dropped, and a class left empty
// matches nothing). Backslashes are literal; there is no quoting.
func fnmatchTranslate(pat string) string {
	p := []rune(pat)
	n := len(p)
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for i := 0; i < n; {
		c := p[i]
		i++
		switch c {
		case '*':
			for i < n && p[i] == '*' {
				i++
			}
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			j := i
			if j < n && p[j] == '!' {
				j++
			}
			if j < n && p[j] == ']' {
				j++
			}
			for j < n && p[j] != ']' {
				j++
			}
			if j >= n {
				b.WriteString(`\[`)
				continue
			}
			b.WriteString(fnmatchClass(p, i, j))
			i = j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	return b.String()
}

// fnmatchClass translates the class p[i:j] (between "[" and "]").
func fnmatchClass(p []rune, i, j int) string {
	stuff := p[i:j]
	negated := len(stuff) > 0 && stuff[0] == '!'
	if negated {
		stuff = stuff[1:]
	}
	// Split at the hyphens that make ranges, as fnmatch does: a hyphen
	// right after the opening (or "!") is literal.
	var chunks [][]rune
	start := 0
	for k := 1; k < len(stuff); k++ {
		if stuff[k] == '-' {
			chunks = append(chunks, stuff[start:k])
			start = k + 1
			k += 2
		}
	}
	if rest := stuff[min(start, len(stuff)):]; len(rest) > 0 || len(chunks) == 0 {
		chunks = append(chunks, rest)
	} else {
		last := chunks[len(chunks)-1]
		chunks[len(chunks)-1] = append(last[:len(last):len(last)], '-')
	}
	// Drop ranges whose ends are reversed.
	for k := len(chunks) - 1; k > 0; k-- {
		prev, cur := chunks[k-1], chunks[k]
		if len(prev) > 0 && len(cur) > 0 && prev[len(prev)-1] > cur[0] {
			chunks[k-1] = append(prev[:len(prev)-1:len(prev)-1], cur[1:]...)
			chunks = append(chunks[:k], chunks[k+1:]...)
		}
	}
	// Every character literal, but for the hyphens that make ranges.
	var body strings.Builder
	for k, ch := range chunks {
		if k > 0 {
			body.WriteByte('-')
		}
		for _, r := range ch {
			body.WriteString(classLiteral(r))
		}
	}
	switch {
	case body.Len() == 0 && !negated:
		return `[^\x00-\x{10FFFF}]` // an empty class: never matches
	case body.Len() == 0:
		return `.`
	case negated:
		return `[^` + body.String() + `]`
	}
	return `[` + body.String() + `]`
}

// classLiteral writes r so that a Go character class reads it literally.
func classLiteral(r rune) string {
	switch r {
	case '\\', ']', '[', '^', '-':
		return `\` + string(r)
	}
	return regexp.QuoteMeta(string(r))
}
