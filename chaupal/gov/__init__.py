"""Government presence: institutions, verification, delegation, directory, coverage and leaderboards."""
