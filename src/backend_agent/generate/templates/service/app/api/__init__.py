"""HTTP routes: parse the request, call one service function, send its document."""
