// Empty: lets acceptbatch.go declare the gnet functions it links to without a body.
