{{ header }}

{%- for v in variables %}

variable "{{ v.name }}" {
  description = {{ v.description }}
  type = {{ v.type_ }}
  {%- if let Some(default) = v.default %}
  default = {{ default }}
  {%- endif %}
  {%- if let Some(check) = v.validation %}

  validation {
    condition = {{ check.condition }}
    error_message = {{ check.message }}
  }
  {%- endif %}
}
{%- endfor %}
