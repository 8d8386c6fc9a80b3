"""Payment service: Pix payments at Mercado Pago, stored in DynamoDB, announced as events."""
