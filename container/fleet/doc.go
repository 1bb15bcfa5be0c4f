// Package fleet holds the shipped configuration for running echo-server as a
// fleet of hosts behind a load balancer (haproxy.cfg, echo-lb.nft,
// keepalived.conf) and the tests that run that configuration for real: each
// test host is a network namespace on a bridge, HAProxy and an nftables
// balancer run in a namespace of their own, and a load generator in another
// restarts backends under load and counts every failed connection and wrong
// byte. The package has no code of its own; see README.md beside it.
package fleet
