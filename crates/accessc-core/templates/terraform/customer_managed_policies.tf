{{ header }}

# Customer managed policies: one service-managed StackSet per policy body,
# deployed to exactly the accounts that get that body (auto-deployment on, so
# accounts that join the OUs get it too). StackSets never reach the
# management account. Permission sets that reference a policy depend on its
# stack instances.
{%- for d in deployments %}

resource "aws_cloudformation_stack_set" "{{ d.ident }}" {
  name = {{ d.name }}
  description = {{ d.description }}
  permission_model = "SERVICE_MANAGED"
  capabilities = ["CAPABILITY_NAMED_IAM"]

  auto_deployment {
    enabled = true
    retain_stacks_on_account_removal = false
  }

  managed_execution {
    active = true
  }

  template_body = {{ d.template_body }}

  tags = {
    ManagedBy = "accessc"
  }

  lifecycle {
    ignore_changes = [administration_role_arn]
  }
}
{%- if !d.ous.is_empty() %}

resource "aws_cloudformation_stack_set_instance" "{{ d.ident }}" {
  for_each = {
    {%- for (key, ou) in d.ous %}
    {{ key }} = {{ ou }}
    {%- endfor %}
  }

  stack_set_name = aws_cloudformation_stack_set.{{ d.ident }}.name

  deployment_targets {
    organizational_unit_ids = [each.value]
  }
}
{%- endif %}
{%- if !d.accounts.is_empty() %}

# Accounts that sit in an OU beside OUs with a body of their own: only these
# accounts of the OU (INTERSECTION).
resource "aws_cloudformation_stack_set_instance" "{{ d.accounts_ident }}" {
  for_each = {
    {%- for (account, ou, note) in d.accounts %}
    {{ account }} = {{ ou }} # {{ note }}
    {%- endfor %}
  }

  stack_set_name = aws_cloudformation_stack_set.{{ d.ident }}.name

  deployment_targets {
    organizational_unit_ids = [each.value]
    accounts = [each.key]
    account_filter_type = "INTERSECTION"
  }
}
{%- endif %}
{%- endfor %}
