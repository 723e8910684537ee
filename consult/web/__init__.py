"""The edge's shared parts: current actor, one transaction per request, error mapping, headers."""
