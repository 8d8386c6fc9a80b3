# On-demand tables with point-in-time recovery and KMS encryption. All keys are strings;
# every GSI projects all attributes (payments and tickets by order_id; tickets by status,
# which the kitchen screens query instead of scanning every ticket ever made).

resource "aws_dynamodb_table" "this" {
  for_each = var.tables

  name                        = "${var.name_prefix}${each.key}"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = each.value.hash_key
  deletion_protection_enabled = var.deletion_protection

  dynamic "attribute" {
    for_each = toset(concat([each.value.hash_key], values(each.value.gsi)))
    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "global_secondary_index" {
    for_each = each.value.gsi
    content {
      name            = global_secondary_index.key
      hash_key        = global_secondary_index.value
      projection_type = "ALL"
    }
  }

  dynamic "ttl" {
    for_each = each.value.ttl == null ? [] : [each.value.ttl]
    content {
      attribute_name = ttl.value
      enabled        = true
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}
