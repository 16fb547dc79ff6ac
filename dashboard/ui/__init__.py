"""Pages: component ids, the dashboard page, its figures and the big-screen page; pure functions, no I/O."""
