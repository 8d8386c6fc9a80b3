terraform {
  required_version = ">= 1.11" # write-only attributes (secret_string_wo)

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Remote state in S3 with DynamoDB locking, created by ./bootstrap. The bucket, key and
  # table come from environments/<env>.backend.hcl (see README).
  backend "s3" {}
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "terraform"
    })
  }
}
