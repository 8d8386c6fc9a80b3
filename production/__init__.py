"""Production (kitchen) service: tickets for paid orders, moved along by staff."""
