# Internal ALB behind the API Gateway VPC link. Each service adds its own target group and
# path rule (modules/ecs_service); anything unmatched gets the common JSON 404 body.

resource "aws_lb" "this" {
  # checkov:skip=CKV_AWS_91: internal-only ALB; every request reaching it is already in the API Gateway access log.
  # checkov:skip=CKV2_AWS_28: WAF cannot attach to an HTTP API; the only way in is the throttled, JWT-authorised HTTP API.
  # checkov:skip=CKV2_AWS_20: no public HTTP to redirect: the ALB is internal and TLS ends at API Gateway.
  name                       = var.name
  internal                   = true
  load_balancer_type         = "application"
  subnets                    = var.subnet_ids
  security_groups            = [var.security_group_id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  idle_timeout               = var.idle_timeout_seconds
}

resource "aws_lb_listener" "http" {
  # checkov:skip=CKV_AWS_2: TLS ends at API Gateway; the private hop VPC link -> internal ALB stays inside the VPC.
  # checkov:skip=CKV_AWS_103: same listener, no TLS to configure.
  load_balancer_arn = aws_lb.this.arn
  port              = var.listener_port
  protocol          = "HTTP"

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "application/json"
      status_code  = "404"
      message_body = jsonencode({ error = "not_found", detail = "no service serves this path" })
    }
  }
}
