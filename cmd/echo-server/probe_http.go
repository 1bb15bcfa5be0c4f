package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// checkHTTP GETs an http:// URL, or an http+unix:// one whose host part is
// the percent-encoded path of a unix socket (as requests-unixsocket and
// docker-py spell it: http+unix://%2Frun%2Fecho%2Fmetrics.sock/readyz), and
// wants status 200.
func (p *probeConfig) checkHTTP(scheme, rest string) (string, error) {
	target, dial, err := p.httpTarget(scheme, rest)
	if err != nil {
		return "", err
	}
	client := &http.Client{Timeout: p.timeout, Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}
	resp, err := client.Get(target)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s: %s", resp.Status, firstLine(resp))
	}
	return "status " + resp.Status, nil
}

// httpTarget is the URL to GET and how to reach its server.
func (p *probeConfig) httpTarget(scheme, rest string) (string, func(context.Context, string, string) (net.Conn, error), error) {
	d := &net.Dialer{Timeout: p.timeout}
	if scheme == "http" {
		_, err := url.Parse(p.url)
		return p.url, d.DialContext, err
	}
	encoded, path, _ := strings.Cut(rest, "/")
	sock, err := url.PathUnescape(encoded)
	if err != nil || sock == "" {
		return "", nil, fmt.Errorf("want http+unix://%%2Fpath%%2Fto%%2Fsocket/PATH (the socket path percent-encoded)")
	}
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "unix", sock) }
	return "http://metrics/" + path, dial, nil
}

// firstLine is the start of the response body, for the one-line verdict.
func firstLine(resp *http.Response) string {
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	line = strings.TrimSpace(line)
	if len(line) > 80 {
		line = line[:80] + "..."
	}
	return line
}
