# The auth service's JWT signing key: an asymmetric RSA key whose private half never leaves
# KMS. auth calls kms:Sign for RS256 and serves the public key (from kms:GetPublicKey) in its
# JWKS; the key id is the JWT `kid`. Rotation = create a new key, switch AUTH_KMS_KEY_ID, keep
# the old key in the JWKS until its tokens expire (KMS cannot rotate asymmetric keys itself).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

resource "aws_kms_key" "this" {
  description              = "${var.name}: JWT signing key (RS256)"
  customer_master_key_spec = "RSA_2048"
  key_usage                = "SIGN_VERIFY"
  deletion_window_in_days  = var.deletion_window_in_days
  # checkov:skip=CKV_AWS_7: KMS does not support automatic rotation of asymmetric keys; rotation is a new key + JWKS overlap (see README).

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersAndDelegatesToIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-jwt"
  target_key_id = aws_kms_key.this.key_id
}

data "aws_kms_public_key" "this" {
  key_id = aws_kms_key.this.arn
}
