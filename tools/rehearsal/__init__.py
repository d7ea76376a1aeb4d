"""The deploy rehearsal: what `cdk deploy` would do on a fresh account, done offline (see README)."""
