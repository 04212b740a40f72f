"""A seeded week at a front door: arrivals, a rota, allocation strategies and an offline bound."""
