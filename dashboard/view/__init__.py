"""What a view shows and how it reads: view state and URLs, cached view data, formatting, the live poll, the wall."""
