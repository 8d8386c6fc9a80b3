"""Order service: takes orders, asks payment for a charge, follows payment and kitchen events."""
