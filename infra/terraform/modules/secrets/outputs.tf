output "mercadopago_secret_arn" {
  value = aws_secretsmanager_secret.mercadopago.arn
}

output "mercadopago_secret_name" {
  value = aws_secretsmanager_secret.mercadopago.name
}

output "project_secret_arn" {
  value = aws_secretsmanager_secret.project.arn
}

output "project_secret_name" {
  value = aws_secretsmanager_secret.project.name
}

output "auth_accounts_secret_arn" {
  value = aws_secretsmanager_secret.auth_accounts.arn
}

output "auth_accounts_secret_name" {
  value = aws_secretsmanager_secret.auth_accounts.name
}

output "database_user_secret_arns" {
  description = "ARN of each Postgres-backed service's database login secret."
  value       = { for svc, s in aws_secretsmanager_secret.database_user : svc => s.arn }
}

output "database_user_secret_names" {
  value = { for svc, s in aws_secretsmanager_secret.database_user : svc => s.name }
}
