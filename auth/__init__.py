"""Auth service: customer and staff identities, RS256 access tokens, JWKS."""
