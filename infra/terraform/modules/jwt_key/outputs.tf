output "key_id" {
  description = "KMS key id (a UUID); auth uses it as the JWT kid."
  value       = aws_kms_key.this.key_id
}

output "key_arn" {
  value = aws_kms_key.this.arn
}

output "alias_name" {
  value = aws_kms_alias.this.name
}

output "public_key_pem" {
  description = "PEM (SubjectPublicKeyInfo) of the signing key, as served in the JWKS."
  value       = data.aws_kms_public_key.this.public_key_pem
}
