"""Communities, residents' groups, households and the resident register."""
