"""Catalog service: categories and products, public reads and staff writes."""
