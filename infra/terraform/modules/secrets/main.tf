# Terraform owns the secret containers, never the Mercado Pago credentials: the first version
# is a placeholder and the operator writes the real JSON (see README). The auth RSA private
# key secret of local runs is not created here: on AWS, auth signs with KMS.

resource "aws_secretsmanager_secret" "mercadopago" {
  name                    = var.mercadopago_secret_name
  description             = "Mercado Pago access token and webhook secret, read by the payment service"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  # checkov:skip=CKV2_AWS_57: a third-party token cannot be rotated by a Lambda; the operator rotates it in Mercado Pago and writes the new value.
}

resource "aws_secretsmanager_secret_version" "mercadopago_placeholder" {
  secret_id = aws_secretsmanager_secret.mercadopago.id
  secret_string = jsonencode({
    access_token   = "SET-ME"
    webhook_secret = "SET-ME"
  })

  lifecycle {
    ignore_changes = [secret_string]
  }
}

resource "aws_secretsmanager_secret" "project" {
  name                    = var.project_secret_name
  description             = "Identifiers of this deployment (no credentials: the database password stays in its RDS-managed secret)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  # checkov:skip=CKV2_AWS_57: holds resource identifiers, not a credential; Terraform rewrites it on every apply.
}

resource "aws_secretsmanager_secret_version" "project" {
  secret_id     = aws_secretsmanager_secret.project.id
  secret_string = jsonencode(var.project_values)
}
