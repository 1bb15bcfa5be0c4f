//go:build poll_opt

package engine

// gnet's poll_opt build keeps a *PollAttachment in the epoll data, and
// gnetprivate.go writes fd numbers there: gnet would crash on the first
// paused connection. So the engine refuses to build with that tag; the
// compiler's "undefined" error names the reason.
var _ = engine_does_not_build_with_gnet_poll_opt__its_epoll_data_holds_pointers__build_without_tags_poll_opt
