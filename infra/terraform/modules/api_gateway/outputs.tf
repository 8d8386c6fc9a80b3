output "api_id" {
  value = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "Base URL of the API, without a trailing slash (the $default stage serves the root)."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "jwt_issuer" {
  value = aws_apigatewayv2_authorizer.jwt.jwt_configuration[0].issuer
}

output "authorizer_id" {
  value = aws_apigatewayv2_authorizer.jwt.id
}

output "vpc_link_id" {
  value = aws_apigatewayv2_vpc_link.this.id
}

output "access_log_group_name" {
  value = aws_cloudwatch_log_group.access.name
}
