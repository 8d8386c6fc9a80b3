output "instance_identifier" {
  value = aws_db_instance.this.identifier
}

output "address" {
  description = "Hostname of the instance."
  value       = aws_db_instance.this.address
}

output "port" {
  value = aws_db_instance.this.port
}

output "database_name" {
  value = aws_db_instance.this.db_name
}

output "master_username" {
  value = aws_db_instance.this.username
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret (managed by RDS) holding {\"username\", \"password\"}."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}
