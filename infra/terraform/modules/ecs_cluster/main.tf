# Fargate cluster with Container Insights (per-service CPU/memory metrics for the alarms).

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}
