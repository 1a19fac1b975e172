{{ header }}

{% if let Some(region) = home_region -%}
# Identity Center home Region: {{ region }}. Run this configuration with an
# aws provider in that Region, in the management account (or the delegated
# administrator account).
{%- else -%}
# Run this configuration with an aws provider in the Identity Center home
# Region, in the management account (or the delegated administrator account).
{%- endif %}
{%- if lookup_instance %}

data "aws_ssoadmin_instances" "this" {}
{%- endif %}

locals {
  instance_arn = {{ instance_arn }}
  {%- if let Some(id) = identity_store_id %}
  identity_store_id = {{ id }}
  {%- endif %}
}
