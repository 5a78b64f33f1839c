// Command benchratio prints the ratios the project's speed goals are
// stated in, from the output of one `make bench` run: `go test -bench`
// lines of several interleaved passes (the i-th result of a benchmark
// belongs to pass i). Each ratio is computed within a pass, between
// benchmarks that ran minutes apart at most, and the median over the
// passes is printed with the lowest and highest pass.
//
//	go run ./benchratio ../bench.txt   (from tools/)
//
// It exits 1 if a benchmark a ratio needs is missing; a missed goal is
// reported, not an error.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// sample is one benchmark result.
type sample struct {
	ns, bytes, allocs float64
}

// results maps a benchmark name (without the -GOMAXPROCS suffix) to its
// results in pass order.
type results map[string][]sample

func parse(r io.Reader, into results) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		var s sample
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				s.ns = v
			case "B/op":
				s.bytes = v
			case "allocs/op":
				s.allocs = v
			}
		}
		if s.ns > 0 {
			into[name] = append(into[name], s)
		}
	}
	return sc.Err()
}

// goal says what a ratio must be: at most (max) or at least (min) a
// value; none for a figure shown for information.
type goal struct {
	op    string // "<=", ">=" or ""
	value float64
}

func (g goal) String() string {
	if g.op == "" {
		return ""
	}
	return fmt.Sprintf("%s %.2f", g.op, g.value)
}

func (g goal) met(v float64) bool {
	switch g.op {
	case "<=":
		return v <= g.value
	case ">=":
		return v >= g.value
	}
	return true
}

// row is one printed ratio: num/den per pass, or (num-base)/(den-base)
// when base is set.
type row struct {
	label          string
	num, den, base string
	goal           goal
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

const prefix = "Benchmark"

// The allocation goal: at most twice what a feasibility walker needed
// (7.7k allocations and 1.5 MB per walk of the ECDSA x100 chain).
const (
	allocGoalBench = "RootChain/ours/ecdsa/100"
	allocGoal      = 15400
	bytesGoal      = 3000000
)

func (r row) ratios(res results) ([]float64, error) {
	num, den := res[prefix+r.num], res[prefix+r.den]
	var base []sample
	if r.base != "" {
		base = res[prefix+r.base]
		if len(base) == 0 {
			return nil, fmt.Errorf("no results for %s", r.base)
		}
	}
	if len(num) == 0 || len(den) == 0 {
		return nil, fmt.Errorf("no results for %s or %s", r.num, r.den)
	}
	n := min(len(num), len(den))
	if base != nil {
		n = min(n, len(base))
	}
	out := make([]float64, 0, n)
	for i := range n {
		a, b := num[i].ns, den[i].ns
		if base != nil {
			a -= base[i].ns
			b -= base[i].ns
		}
		out = append(out, a/b)
	}
	return out, nil
}

func main() {
	res := results{}
	if len(os.Args) < 2 {
		if err := parse(os.Stdin, res); err != nil {
			fail(err)
		}
	}
	for _, p := range os.Args[1:] {
		f, err := os.Open(p)
		if err != nil {
			fail(err)
		}
		err = parse(f, res)
		f.Close()
		if err != nil {
			fail(err)
		}
	}
	var rows []row
	for _, c := range []string{"ecdsa/10", "ecdsa/100", "ed25519/100", "ed25519/10"} {
		// The goals name three chains; Ed25519 x10 is shown too.
		seq, par := goal{"<=", 1.15}, goal{}
		if c == "ed25519/10" {
			seq = goal{}
		}
		if strings.HasSuffix(c, "/100") {
			par = goal{"<=", 0.65}
		}
		rc := "RootChain/"
		rows = append(rows,
			row{label: "walk ÷ T+1 floor, " + c, num: rc + "ours/" + c, den: rc + "floor-t1/" + c, goal: seq},
			row{label: "walk, cold key cache ÷ T+1 floor, " + c, num: rc + "ours-cold/" + c, den: rc + "floor-t1/" + c, goal: seq},
			row{label: "walk, root parsed ÷ T+1 floor, " + c, num: rc + "ours-parsed/" + c, den: rc + "floor-t1/" + c},
			row{label: "walk, 2 workers ÷ T+1 floor, " + c, num: rc + "ours-workers2/" + c, den: rc + "floor-t1/" + c, goal: par},
			row{label: "T+1 floor on 2 goroutines ÷ T+1 floor, " + c, num: rc + "floor-t1-workers2/" + c, den: rc + "floor-t1/" + c},
			row{label: "walk ÷ floor (T per version), " + c, num: rc + "ours/" + c, den: rc + "floor/" + c},
			row{label: "go-tuf ÷ walk, " + c, num: rc + "gotuf/" + c, den: rc + "ours/" + c},
		)
	}
	for _, k := range []string{"ecdsa", "ed25519"} {
		rows = append(rows, row{label: "one root, 2 workers ÷ sequential, " + k, num: "RootSingle/workers2/" + k, den: "RootSingle/workers0/" + k, goal: goal{"<=", 1.0}})
	}
	for _, c := range []string{"ecdsa/10", "ed25519/10"} {
		// The goal names the (ECDSA) 10-version chain.
		g := goal{"<=", 1.0}
		if c != "ecdsa/10" {
			g = goal{}
		}
		fw := "FirstWalk/"
		rows = append(rows,
			row{label: "new process: walk ÷ T+1 floor, " + c, num: fw + "walk/" + c, den: fw + "floor-t1/" + c, goal: g},
			row{label: "new process: walk, 2 workers ÷ T+1 floor, " + c, num: fw + "walk-workers2/" + c, den: fw + "floor-t1/" + c, goal: g},
			row{label: "new process, less exec: walk ÷ T+1 floor, " + c, num: fw + "walk/" + c, den: fw + "floor-t1/" + c, base: fw + "exec/" + c},
			row{label: "new process, less exec: walk, 2 workers ÷ floor, " + c, num: fw + "walk-workers2/" + c, den: fw + "floor-t1/" + c, base: fw + "exec/" + c},
		)
	}
	rows = append(rows,
		row{label: "refresh: go-tuf ÷ ours", num: "Refresh/gotuf", den: "Refresh/ours", goal: goal{">=", 6}},
		row{label: "refresh: go-tuf ÷ ours, cold key cache", num: "Refresh/gotuf", den: "Refresh/ours-cold", goal: goal{">=", 6}},
		row{label: "refresh: go-tuf ÷ ours, 2 workers", num: "Refresh/gotuf", den: "Refresh/ours-workers2", goal: goal{">=", 6}},
		row{label: "refresh: ours ÷ its 15 signature checks alone", num: "Refresh/ours", den: "Refresh/floor"},
		row{label: "refresh: ours, 2 workers ÷ its 15 checks alone", num: "Refresh/ours-workers2", den: "Refresh/floor"},
		row{label: "refresh: go-tuf ÷ the 15 signature checks alone", num: "Refresh/gotuf", den: "Refresh/floor"},
	)

	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintf(w, "%-62s %8s %17s %8s  %s\n", "ratio (median of passes)", "median", "range", "goal", "")
	missing := false
	for _, r := range rows {
		v, err := r.ratios(res)
		if err != nil {
			fmt.Fprintf(w, "%-62s %s\n", r.label, err)
			missing = true
			continue
		}
		m := median(v)
		verdict := ""
		if r.goal.op != "" {
			verdict = "met"
			if !r.goal.met(m) {
				verdict = "MISSED"
			}
		}
		fmt.Fprintf(w, "%-62s %8.2f %8.2f–%-8.2f %8s  %s (%d passes)\n", r.label, m, slices.Min(v), slices.Max(v), r.goal, verdict, len(v))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-58s %10s %12s\n", "allocations per op (median)", "allocs", "bytes")
	for _, name := range []string{"RootChain/ours/ecdsa/100", "RootChain/ours-cold/ecdsa/100", "RootChain/ours/ed25519/100", "RootChain/gotuf/ecdsa/100", "Refresh/ours", "Refresh/gotuf"} {
		s := res[prefix+name]
		if len(s) == 0 {
			fmt.Fprintf(w, "%-58s no results\n", name)
			missing = true
			continue
		}
		var allocs, bytes []float64
		for _, x := range s {
			allocs = append(allocs, x.allocs)
			bytes = append(bytes, x.bytes)
		}
		verdict := ""
		if name == allocGoalBench {
			verdict = fmt.Sprintf("goal <= %d and <= %d: met", allocGoal, bytesGoal)
			if median(allocs) > allocGoal || median(bytes) > bytesGoal {
				verdict = fmt.Sprintf("goal <= %d and <= %d: MISSED", allocGoal, bytesGoal)
			}
		}
		fmt.Fprintf(w, "%-58s %10.0f %12.0f  %s\n", name, median(allocs), median(bytes), verdict)
	}
	if missing {
		w.Flush()
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchratio:", err)
	os.Exit(1)
}
