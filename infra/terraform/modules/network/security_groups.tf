# Who may talk to whom, in one place. Every rule names a security group, never a CIDR,
# except the tasks' HTTPS egress (AWS APIs and Mercado Pago through the NAT) and the
# ALB's egress, which is pinned to the VPC CIDR.
#
#   API Gateway VPC link --80--> internal ALB --8000--> ECS tasks --5432--> RDS
#   ECS tasks --80--> internal ALB (order -> catalog, JWKS fetches)

resource "aws_security_group" "vpc_link" {
  # checkov:skip=CKV2_AWS_5: attached to the API Gateway VPC link (modules/api_gateway) through a module output, which checkov's graph does not follow; the moto apply test checks the attachment.
  name        = "${var.name}-vpc-link"
  description = "API Gateway VPC link ENIs"
  vpc_id      = aws_vpc.this.id
}

resource "aws_security_group" "alb" {
  # checkov:skip=CKV2_AWS_5: attached to the ALB (modules/alb) through a module output, which checkov's graph does not follow; the moto apply test checks the attachment.
  name        = "${var.name}-alb"
  description = "Internal ALB reachable only from the VPC link and the ECS tasks"
  vpc_id      = aws_vpc.this.id
}

resource "aws_security_group" "ecs_tasks" {
  # checkov:skip=CKV2_AWS_5: attached to every ECS service (modules/ecs_service) through a module output, which checkov's graph does not follow; the moto apply test checks the attachment.
  name        = "${var.name}-ecs-tasks"
  description = "ECS Fargate tasks of every service"
  vpc_id      = aws_vpc.this.id
}

resource "aws_security_group" "database" {
  # checkov:skip=CKV2_AWS_5: attached to the RDS instance (modules/rds) through a module output, which checkov's graph does not follow; the moto apply test checks the attachment.
  name        = "${var.name}-database"
  description = "PostgreSQL reachable only from the ECS tasks"
  vpc_id      = aws_vpc.this.id
}

# --- VPC link ---------------------------------------------------------------
resource "aws_vpc_security_group_egress_rule" "vpc_link_to_alb" {
  security_group_id            = aws_security_group.vpc_link.id
  description                  = "Forward API requests to the internal ALB"
  ip_protocol                  = "tcp"
  from_port                    = var.alb_listener_port
  to_port                      = var.alb_listener_port
  referenced_security_group_id = aws_security_group.alb.id
}

# --- ALB --------------------------------------------------------------------
resource "aws_vpc_security_group_ingress_rule" "alb_from_vpc_link" {
  # checkov:skip=CKV_AWS_260: false positive: the source is referenced_security_group_id (a security group, no CIDR), which this check does not read.
  security_group_id            = aws_security_group.alb.id
  description                  = "HTTP from the API Gateway VPC link"
  ip_protocol                  = "tcp"
  from_port                    = var.alb_listener_port
  to_port                      = var.alb_listener_port
  referenced_security_group_id = aws_security_group.vpc_link.id
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_ecs_tasks" {
  # checkov:skip=CKV_AWS_260: false positive: the source is referenced_security_group_id (a security group, no CIDR), which this check does not read.
  security_group_id            = aws_security_group.alb.id
  description                  = "HTTP from the services (order to catalog, JWKS fetches)"
  ip_protocol                  = "tcp"
  from_port                    = var.alb_listener_port
  to_port                      = var.alb_listener_port
  referenced_security_group_id = aws_security_group.ecs_tasks.id
}

resource "aws_vpc_security_group_egress_rule" "alb_to_vpc" {
  security_group_id = aws_security_group.alb.id
  description       = "Targets and health checks inside the VPC only"
  ip_protocol       = "tcp"
  from_port         = var.service_port
  to_port           = var.service_port
  cidr_ipv4         = aws_vpc.this.cidr_block
}

# --- ECS tasks --------------------------------------------------------------
resource "aws_vpc_security_group_ingress_rule" "ecs_from_alb" {
  security_group_id            = aws_security_group.ecs_tasks.id
  description                  = "Service port from the ALB"
  ip_protocol                  = "tcp"
  from_port                    = var.service_port
  to_port                      = var.service_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "ecs_https" {
  security_group_id = aws_security_group.ecs_tasks.id
  description       = "HTTPS to AWS APIs, ECR and Mercado Pago through the NAT"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "ecs_to_alb" {
  security_group_id            = aws_security_group.ecs_tasks.id
  description                  = "Service-to-service calls through the internal ALB"
  ip_protocol                  = "tcp"
  from_port                    = var.alb_listener_port
  to_port                      = var.alb_listener_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "ecs_to_database" {
  security_group_id            = aws_security_group.ecs_tasks.id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
  referenced_security_group_id = aws_security_group.database.id
}

# --- Database (no egress rule: RDS never initiates connections) -------------
resource "aws_vpc_security_group_ingress_rule" "database_from_ecs" {
  security_group_id            = aws_security_group.database.id
  description                  = "PostgreSQL from the ECS tasks only"
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
  referenced_security_group_id = aws_security_group.ecs_tasks.id
}
