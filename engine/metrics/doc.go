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
// Measured on 2026-11-27 (Go 1.26.8, built as the image is: CGO_ENABLED=0
// -trimpath -ldflags '-s -w'). Package init from GODEBUG=inittrace=1: its
// allocations are exact; its clock is the median of 40 runs of --version
// on a loaded 2-core machine, so only a large difference means anything.
//
//	                                  binary    init packages, allocs, bytes   init clock
//	server without HTTP               5.03 MB    93,  375,  46 KB               5.6 ms
//	+ net/http server                 7.04 MB    94,  407,  52 KB               5.5 ms
//	+ net/http client (probe): today  7.66 MB    95,  413,  53 KB               no change seen
//	+ client_golang + promhttp        9.68 MB   123, 2065, 294 KB              11.8 ms
//
// The budgets are an image under 10 MB and under 5 ms from exec to READY=1
// (2.7 ms today on a quiet machine). client_golang adds 3 ms of init on a
// quiet machine (6 ms here), which breaks the second, and leaves no room
// under the first, so
// the exposition format (a few lines of text) is written here by hand;
// net/http fits both and replaces a hand-written HTTP/1 responder, so the
// HTTP parsing, HEAD, keep-alive and timeouts are the standard library's.
// The counters stay plain atomics on the echo path, read only when scraped.
package metrics
