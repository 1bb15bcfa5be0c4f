// Package metrics serves the echo server's Prometheus metrics and its health
// over HTTP on a socket of its own (an inherited socket named "metrics", or
// --metrics-listen), fed by the engine's counters: it reads
// engine.Server.Stats and the process's /proc entries (engine/procstat)
// when scraped, and nothing on the echo path knows it exists. The engine
// does not import this package.
//
// Paths: GET /metrics (the Prometheus text format), GET /livez (200 while
// the process answers), GET /readyz (200 while Health says ready, else
// 503). Any other path is 404: a health check pointed at a mistyped path
// must fail, not read a 200 full of metrics.
//
// # Why net/http, and why not prometheus/client_golang
//
// client_golang with promhttp adds about thirty packages to initialise and
// thousands of allocations at start-up, against budgets of an image under
// 10 MB and a few milliseconds from exec to READY=1 (the measurement is in
// bench/results/design-figures.md), so
// the exposition format (a few lines of text) is written here by hand;
// net/http fits both and replaces a hand-written HTTP/1 responder, so the
// HTTP parsing, HEAD, keep-alive and timeouts are the standard library's.
// The counters stay plain atomics on the echo path, read only when scraped.
package metrics
