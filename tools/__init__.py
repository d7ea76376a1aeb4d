"""Developer tools that read a synthesized cloud assembly (diagrams, the deploy rehearsal)."""
