package metrics

import (
	"fmt"
	"net/http"
)

const contentType = "text/plain; version=0.0.4; charset=utf-8"

// routes maps the paths. "GET /..." also matches HEAD; another method on a
// known path is 405, any other path 404 (see the package doc).
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", s.metrics)
	mux.HandleFunc("GET /livez", s.livez)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /", notFound)
	return mux
}

func (s *Server) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", contentType)
	s.WriteMetrics(w)
}

// livez answers 200 as long as the process answers at all.
func (s *Server) livez(w http.ResponseWriter, _ *http.Request) { text(w, http.StatusOK, "live") }

// readyz answers 200 while Health is ready, 503 otherwise.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if s.health.Ready() {
		text(w, http.StatusOK, "ready")
		return
	}
	text(w, http.StatusServiceUnavailable, "not ready")
}

func notFound(w http.ResponseWriter, r *http.Request) {
	text(w, http.StatusNotFound, fmt.Sprintf("no %s here: GET /metrics, /livez or /readyz", r.URL.Path))
}

func text(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintln(w, body)
}
