# Public HTTP API: CORS, access logs, throttling, and every route proxied through a VPC link
# to the internal ALB. `ANY /{proxy+}` requires a JWT issued by auth; the public routes are
# more specific route keys, so API Gateway matches them first.

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  protocol_type = "HTTP"

  cors_configuration {
    allow_origins  = var.cors_allow_origins
    allow_methods  = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    allow_headers  = ["authorization", "content-type", "idempotency-key", "x-correlation-id", "traceparent"]
    expose_headers = ["x-correlation-id"]
    max_age        = 3600
  }
}

resource "aws_apigatewayv2_vpc_link" "this" {
  name               = var.name
  subnet_ids         = var.subnet_ids
  security_group_ids = [var.vpc_link_security_group_id]
}

resource "aws_apigatewayv2_integration" "alb" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "HTTP_PROXY"
  integration_method     = "ANY"
  integration_uri        = var.alb_listener_arn
  connection_type        = "VPC_LINK"
  connection_id          = aws_apigatewayv2_vpc_link.this.id
  payload_format_version = "1.0"
  timeout_milliseconds   = var.integration_timeout_ms
}

# The issuer contains the API's own URL: api_endpoint is known once the API exists, and the
# authorizer depends on the API anyway, so there is no cycle.
resource "aws_apigatewayv2_authorizer" "jwt" {
  api_id           = aws_apigatewayv2_api.this.id
  name             = "auth-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    audience = [var.jwt_audience]
    issuer   = "${aws_apigatewayv2_api.this.api_endpoint}${var.jwt_issuer_path}"
  }
}

# The same issuer and audience, the token read from the query string: SSE streams, whose
# EventSource clients cannot set an Authorization header.
resource "aws_apigatewayv2_authorizer" "jwt_query" {
  api_id           = aws_apigatewayv2_api.this.id
  name             = "auth-jwt-query"
  authorizer_type  = "JWT"
  identity_sources = ["$request.querystring.${var.query_token_parameter}"]

  jwt_configuration {
    audience = [var.jwt_audience]
    issuer   = "${aws_apigatewayv2_api.this.api_endpoint}${var.jwt_issuer_path}"
  }
}

resource "aws_apigatewayv2_route" "query_token" {
  for_each = toset(var.query_token_routes)

  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.value
  target             = "integrations/${aws_apigatewayv2_integration.alb.id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.jwt_query.id
}

# More specific than ANY /{proxy+}, and IAM-authorized: no public caller can sign for it, so
# API Gateway answers 403 and the service never sees the request. The ALB (internal) still
# serves /metrics to scrapers inside the VPC.
resource "aws_apigatewayv2_route" "denied" {
  for_each = toset(var.denied_routes)

  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.value
  target             = "integrations/${aws_apigatewayv2_integration.alb.id}"
  authorization_type = "AWS_IAM"
}

resource "aws_apigatewayv2_route" "protected" {
  api_id             = aws_apigatewayv2_api.this.id
  route_key          = "ANY /{proxy+}"
  target             = "integrations/${aws_apigatewayv2_integration.alb.id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.jwt.id
}

resource "aws_apigatewayv2_route" "public" {
  # checkov:skip=CKV_AWS_309: these routes are public by design (token issue, JWKS/discovery, catalog reads, payment webhook, health).
  for_each = toset(var.public_routes)

  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.value
  target             = "integrations/${aws_apigatewayv2_integration.alb.id}"
  authorization_type = "NONE"
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/apigateway/${var.name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      ip                 = "$context.identity.sourceIp"
      requestTime        = "$context.requestTime"
      httpMethod         = "$context.httpMethod"
      routeKey           = "$context.routeKey"
      path               = "$context.path"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      latencyMs          = "$context.responseLatency"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
      authorizerError    = "$context.authorizer.error"
      principal          = "$context.authorizer.claims.sub"
    })
  }
}
