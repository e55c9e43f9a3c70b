package main

import (
	"fmt"
	"strings"
	"sync"

	"github.com/go-logr/logr"
)

// maxRecorded bounds what a failing watch, retried every second, can add to a report.
const maxRecorded = 10

// errorRecorder is the cluster cache's logger. It keeps what the cache reports as failures: its errors, and the
// "Failed to ..." lines of its retry loops (a watch that keeps failing is logged there, at debug level, while
// the controller retries it every second). Everything else the application controller would only print.
type errorRecorder struct {
	mu     sync.Mutex
	errors []string
}

func (r *errorRecorder) logger() logr.Logger { return logr.New(&errorSink{recorder: r}) }

func (r *errorRecorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

func (r *errorRecorder) record(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, seen := range r.errors {
		if seen == line {
			return
		}
	}
	if len(r.errors) < maxRecorded {
		r.errors = append(r.errors, line)
	}
}

type errorSink struct{ recorder *errorRecorder }

func (s *errorSink) Init(logr.RuntimeInfo)          {}
func (s *errorSink) Enabled(int) bool               { return true }
func (s *errorSink) WithValues(...any) logr.LogSink { return s }
func (s *errorSink) WithName(string) logr.LogSink   { return s }

func (s *errorSink) Info(_ int, msg string, _ ...any) {
	if strings.HasPrefix(msg, "Failed to ") {
		s.recorder.record(msg)
	}
}

func (s *errorSink) Error(err error, msg string, _ ...any) {
	if err != nil {
		msg = fmt.Sprintf("%s: %v", msg, err)
	}
	// A refused watch can come back with an empty message ("unknown"): its HTTP status says what happened.
	if code := statusOf(err, 0); code != 0 {
		msg = fmt.Sprintf("%s (HTTP %d)", msg, code)
	}
	s.recorder.record(msg)
}
