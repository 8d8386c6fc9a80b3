# terraform init -backend-config=environments/dev.backend.hcl
# The bucket and table come from ./bootstrap (terraform -chdir=bootstrap output).
bucket         = "fastfood-tfstate-REPLACE-WITH-ACCOUNT-ID"
key            = "fastfood/dev/terraform.tfstate"
region         = "us-east-1"
dynamodb_table = "fastfood-tfstate-lock"
encrypt        = true
