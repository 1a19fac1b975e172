{{ header }}

# One resource per (permission set, principal), keyed by account id: a new
# grant adds a line, and no existing assignment changes its address.
