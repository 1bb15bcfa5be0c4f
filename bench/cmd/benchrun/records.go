package main

import (
	"bufio"
	"encoding/json"
	"os"
	"time"

	"github.com/echo-activation/echo-server/bench/internal/loadgen"
)

// pool reads several runs' records and numbers their repetitions on from
// one file to the next, so that pairing stays within each original repetition.
func pool(files []string) []loadgen.Result {
	var all []loadgen.Result
	offset := 0
	for _, f := range files {
		rs := readJSONL(f)
		for i := range rs {
			rs[i].Rep += offset
		}
		offset = max(offset, maxRep(rs))
		all = append(all, rs...)
	}
	return all
}

func writeJSONL(path string, rs []loadgen.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, r := range rs {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

func readJSONL(path string) []loadgen.Result {
	f, err := os.Open(path)
	exitOn(err)
	defer f.Close()
	var rs []loadgen.Result
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r loadgen.Result
		exitOn(json.Unmarshal(sc.Bytes(), &r))
		rs = append(rs, r)
	}
	exitOn(sc.Err())
	return rs
}

// maxRep is the number of repetitions in a set of results.
func maxRep(rs []loadgen.Result) int {
	n := 0
	for _, r := range rs {
		n = max(n, r.Rep)
	}
	return n
}

// startedAt is when the first run of rs started (now if none has a time),
// so a rewritten report keeps the date of its run.
func startedAt(rs []loadgen.Result) time.Time {
	var t time.Time
	for _, r := range rs {
		if !r.Started.IsZero() && (t.IsZero() || r.Started.Before(t)) {
			t = r.Started
		}
	}
	if t.IsZero() {
		return time.Now()
	}
	return t
}
