output "state_bucket" {
  value = aws_s3_bucket.state.bucket
}

output "lock_table" {
  value = aws_dynamodb_table.lock.name
}

output "kms_key_arn" {
  description = "Pass as kms_key_id in the backend config to encrypt state with this key."
  value       = aws_kms_key.state.arn
}
