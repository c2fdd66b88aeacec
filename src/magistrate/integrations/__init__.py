"""Integrations: the MCP gateway (`mcp_proxy`), `@governed` for Python tool functions, the
Claude Code hook (`hooks`), and adapters for the OpenAI Agents SDK (`openai_agents`) and
LangChain (`langchain`), which import their packages only when used."""

from __future__ import annotations

from magistrate.integrations.governed import default_governor, governed

__all__ = ["default_governor", "governed"]
