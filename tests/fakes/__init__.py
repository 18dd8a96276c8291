"""Pieces the stateful platform fakes share: clocks, a sliding-window rate limiter that sends
the documented headers on every response, injectable faults and the request log."""
