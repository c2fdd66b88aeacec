"""Integrations: the MCP gateway (the `mcp` package), `@governed` for Python tool functions
(`governed`, also exported as `magistrate.governed`), the Claude Code hook (`hooks`), and
adapters for the OpenAI Agents SDK (`openai_agents`) and LangChain (`langchain`), which import
their packages only when used."""
