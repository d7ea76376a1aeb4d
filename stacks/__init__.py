"""Reference platform: typed configuration, stacks and the stage that assembles them."""
