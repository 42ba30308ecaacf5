// Command report turns the raw benchmark output of run.sh into Markdown:
// per scenario, each client's median ns/op, B/op, allocs/op and new
// connections per op, with ratios to the tuned net/http floor, then the
// issue's targets checked against those medians.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

const floor = "nethttp"

// scenarios in the order the tables show them, with their titles.
var scenarios = []struct{ name, title string }{
	{"Get", "Sequential GET, small JSON body"},
	{"GetParallel", "32-way parallel GET, small JSON body"},
	{"PostJSON", "~1 KiB JSON POST, echo decoded into a struct"},
	{"Download1MiB", "1 MiB download, read in full"},
	{"InMemoryGet", "GET on an in-memory transport: each library's own cost"},
	{"InMemoryPostJSON", "JSON POST on an in-memory transport: each library's own cost"},
}

// samples[scenario][client][unit] holds every run's value.
type samples map[string]map[string]map[string][]float64

func main() {
	in := flag.String("bench", "results/bench.txt", "raw output of the benchmark runs")
	rss := flag.String("rss", "results/rss.md", "table written by rssprobe")
	load := flag.String("load", "results/load.txt", "uptime before and after the runs")
	flag.Parse()
	f, err := os.Open(*in)
	if err != nil {
		fail(err)
	}
	defer f.Close()
	s, clientOrder, cpu, err := parse(f)
	if err != nil {
		fail(err)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	runs := 0
	if m := s["Get"][floor]; m != nil {
		runs = len(m["ns/op"])
	}
	fmt.Fprintf(w, "Run of %s on %s (%d cores), %s, %d runs per benchmark; medians.\n\n",
		time.Now().UTC().Format("2006-01-02"), cpu, runtime.NumCPU(), runtime.Version(), runs)
	if b, err := os.ReadFile(*load); err == nil {
		fmt.Fprintf(w, "Machine load (uptime) around the runs:\n\n```\n%s```\n\n", b)
	}
	for _, sc := range scenarios {
		table(w, sc.title, s[sc.name], clientOrder)
	}
	targets(w, s)
	if b, err := os.ReadFile(*rss); err == nil {
		fmt.Fprintf(w, "### Peak RSS, one process per client\n\n%s\n", b)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "report:", err)
	os.Exit(1)
}

// parse reads benchmark lines such as
// "BenchmarkGet/client=nethttp-2  1000  43123 ns/op  0 conns/op  4198 B/op  48 allocs/op".
func parse(r io.Reader) (samples, []string, string, error) {
	s := samples{}
	var order []string
	cpu := "unknown CPU"
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "cpu: "); ok {
			cpu = strings.TrimSpace(v)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		fields := strings.Fields(line)
		name, rest, ok := strings.Cut(strings.TrimPrefix(fields[0], "Benchmark"), "/client=")
		if !ok || len(fields) < 4 {
			continue
		}
		if i := strings.LastIndexByte(rest, '-'); i > 0 {
			rest = rest[:i] // the -GOMAXPROCS suffix
		}
		if !slices.Contains(order, rest) {
			order = append(order, rest)
		}
		if s[name] == nil {
			s[name] = map[string]map[string][]float64{}
		}
		if s[name][rest] == nil {
			s[name][rest] = map[string][]float64{}
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, nil, "", fmt.Errorf("%q: %w", line, err)
			}
			s[name][rest][fields[i+1]] = append(s[name][rest][fields[i+1]], v)
		}
	}
	return s, order, cpu, sc.Err()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func table(w io.Writer, title string, m map[string]map[string][]float64, order []string) {
	if m == nil || m[floor] == nil {
		return
	}
	base := m[floor]
	fmt.Fprintf(w, "### %s\n\n", title)
	fmt.Fprintln(w, "| client | ns/op | × floor | allocs/op | Δ allocs | B/op | CPU ns/op | × floor | new conns/op |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, c := range order {
		v := m[c]
		if v == nil {
			continue
		}
		ns, allocs, cpu := median(v["ns/op"]), median(v["allocs/op"]), median(v["cpu-ns/op"])
		fmt.Fprintf(w, "| %s | %.0f | %.3f | %.0f | %+.0f | %.0f | %.0f | %.3f | %.4f |\n", c, ns, ns/median(base["ns/op"]),
			allocs, allocs-median(base["allocs/op"]), median(v["B/op"]), cpu, cpu/median(base["cpu-ns/op"]), median(v["conns/op"]))
	}
	fmt.Fprintln(w)
}

// targets checks the goals for each of the library's two entry points.
func targets(w io.Writer, s samples) {
	fmt.Fprintln(w, "### Targets, checked on the medians alone")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | requests | requests-session |")
	fmt.Fprintln(w, "| --- | --- | --- |")
	ratio := func(sc, c string) float64 {
		return median(s[sc][c]["ns/op"]) / median(s[sc][floor]["ns/op"])
	}
	extra := func(sc, c string) float64 {
		return median(s[sc][c]["allocs/op"]) - median(s[sc][floor]["allocs/op"])
	}
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}
	row := func(name string, f func(c string) string) {
		fmt.Fprintf(w, "| %s | %s | %s |\n", name, f("requests"), f("requests-session"))
	}
	for _, sc := range []string{"Get", "GetParallel"} {
		row(sc+" ns/op ≤ 1.03× floor", func(c string) string {
			r := ratio(sc, c)
			return fmt.Sprintf("%s (%.3f×)", mark(r <= 1.03), r)
		})
		row(sc+" ≤ 6 extra allocs/op", func(c string) string {
			x := extra(sc, c)
			return fmt.Sprintf("%s (%+.0f)", mark(x <= 6), x)
		})
	}
	row("PostJSON ns/op ≤ 1.05× floor", func(c string) string {
		r := ratio("PostJSON", c)
		return fmt.Sprintf("%s (%.3f×)", mark(r <= 1.05), r)
	})
	for _, sc := range scenarios[:4] {
		row(sc.name+": ahead of every peer (ns/op and allocs/op)", func(c string) string {
			var behind []string
			for peer, v := range s[sc.name] {
				if peer == floor || peer == "defaultclient" || strings.HasPrefix(peer, "requests") {
					continue
				}
				if median(v["ns/op"]) <= median(s[sc.name][c]["ns/op"]) {
					behind = append(behind, peer+" ns/op")
				}
				if median(v["allocs/op"]) <= median(s[sc.name][c]["allocs/op"]) {
					behind = append(behind, peer+" allocs/op")
				}
			}
			if len(behind) == 0 {
				return "met"
			}
			slices.Sort(behind)
			return "**not met**: " + strings.Join(behind, ", ")
		})
	}
	fmt.Fprintln(w)
}
