# Task definitions and ECS services: one "api" (behind the ALB) and, when the service consumes
# events, one "worker" (`python -m <service>.main worker`), from the same image and task role.

data "aws_region" "current" {}

locals {
  containers = {
    for role in local.roles : role => {
      name        = role
      image       = "${aws_ecr_repository.this.repository_url}:${var.image_tag}"
      essential   = true
      command     = ["python", "-m", "${var.name}.main", role]
      stopTimeout = 30 # SIGTERM, then 30 s to finish in-flight requests/messages
      portMappings = role == "api" ? [{
        containerPort = var.container_port
        protocol      = "tcp"
      }] : []
      environment            = [for k in sort(keys(var.environment)) : { name = k, value = var.environment[k] }]
      secrets                = [for k in sort(keys(var.secrets)) : { name = k, valueFrom = var.secrets[k] }]
      readonlyRootFilesystem = true
      mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
      linuxParameters        = { initProcessEnabled = true }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this.name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = role
        }
      }
    }
  }
}

resource "aws_ecs_task_definition" "this" {
  for_each = toset(local.roles)

  family                   = "${local.full_name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([local.containers[each.key]])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  # Writable scratch space on Fargate ephemeral storage; the root filesystem is read-only.
  volume {
    name = "tmp"
  }
}

resource "aws_ecs_service" "this" {
  for_each = toset(local.roles)

  name                               = "${var.name}-${each.key}"
  cluster                            = var.cluster_arn
  task_definition                    = aws_ecs_task_definition.this[each.key].arn
  desired_count                      = local.scaling[each.key].min
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = each.key == "api" ? 60 : null
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = each.key == "api" ? [1] : []
    content {
      target_group_arn = aws_lb_target_group.api.arn
      container_name   = "api"
      container_port   = var.container_port
    }
  }

  lifecycle {
    ignore_changes = [desired_count] # owned by autoscaling after creation
  }

  depends_on = [aws_lb_listener_rule.api]
}

resource "aws_appautoscaling_target" "this" {
  for_each = aws_ecs_service.this

  service_namespace  = "ecs"
  resource_id        = "service/${var.cluster_name}/${each.value.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = local.scaling[each.key].min
  max_capacity       = local.scaling[each.key].max
}

resource "aws_appautoscaling_policy" "cpu" {
  for_each = aws_appautoscaling_target.this

  name               = "${local.full_name}-${each.key}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = each.value.service_namespace
  resource_id        = each.value.resource_id
  scalable_dimension = each.value.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 120
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
