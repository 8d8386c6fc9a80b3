# Two roles per service. The execution role lets the ECS agent pull the image, write logs and
# read the secrets it injects; the task role is what the service code runs as, limited to the
# queues, tables, secrets and keys this service owns (var.permissions).

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume_by_ecs_tasks" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# --- Execution role (inline equivalent of AmazonECSTaskExecutionRolePolicy, scoped) -----
data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this action has no resource-level permissions
  }

  statement {
    sid       = "PullOwnImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    resources = [aws_ecr_repository.this.arn]
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  dynamic "statement" {
    for_each = length(var.execution_secret_arns) > 0 ? [1] : []
    content {
      sid       = "InjectSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = var.execution_secret_arns
    }
  }

  statement {
    sid       = "DecryptImageLayersAndSecrets"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role" "execution" {
  name               = "${local.full_name}-execution"
  assume_role_policy = data.aws_iam_policy_document.assume_by_ecs_tasks.json
}

resource "aws_iam_role_policy" "execution" {
  name   = "ecs-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# --- Task role ------------------------------------------------------------------
locals {
  p = var.permissions
  # DynamoDB tables and secrets are encrypted with the project key: their callers need it
  # too, but only through those services.
  uses_data_key = length(local.p.dynamodb_table_arns) + length(local.p.secret_arns) > 0
  statements = [
    for s in [
      { sid = "ConsumeOwnQueue", resources = local.p.sqs_consume_arns, actions = [
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes", "sqs:GetQueueUrl"] },
      { sid = "PublishToConsumerQueues", resources = local.p.sqs_send_arns, actions = [
      "sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"] },
      { sid = "InspectOwnDeadLetterQueue", resources = local.p.sqs_read_arns, actions = [
        "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl", "sqs:ListDeadLetterSourceQueues"] },
      { sid = "OwnTables", resources = concat(local.p.dynamodb_table_arns, [for a in local.p.dynamodb_table_arns : "${a}/index/*"]), actions = [
        "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
        "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
      "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable"] },
      { sid = "ReadOwnSecrets", resources = local.p.secret_arns, actions = [
      "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"] },
      { sid = "SignJwts", resources = local.p.kms_sign_key_arns, actions = [
      "kms:Sign", "kms:GetPublicKey", "kms:DescribeKey"] },
    ] : s if length(s.resources) > 0
  ]
}

data "aws_iam_policy_document" "task" {
  dynamic "statement" {
    for_each = local.statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }

  dynamic "statement" {
    for_each = local.uses_data_key ? [1] : []
    content {
      sid       = "UseDataKeyThroughDynamoDbAndSecretsManager"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
      resources = [var.kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values = [
          "dynamodb.${data.aws_region.current.name}.amazonaws.com",
          "secretsmanager.${data.aws_region.current.name}.amazonaws.com",
        ]
      }
    }
  }
}

resource "aws_iam_role" "task" {
  name               = "${local.full_name}-task"
  assume_role_policy = data.aws_iam_policy_document.assume_by_ecs_tasks.json
}

resource "aws_iam_role_policy" "task" {
  count = length(local.statements) > 0 ? 1 : 0

  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}
