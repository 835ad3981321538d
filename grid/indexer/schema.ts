// The TFChain indexer's GraphQL schema (tfchain_graphql, subsquid OpenReader conventions) for the
// entities the official clients query, generated from one field table per entity: each entity gets
// `<plural>(where, orderBy, offset, limit)`, `<plural>Connection(orderBy!, where, first, after)
// { totalCount edges pageInfo }` and `<singular>ById(id)`, with `<field>_eq/_in/_contains/...` filters
// combined by AND/OR, and `<field>_ASC/_DESC` orderings.
import { buildSchema, type GraphQLSchema, Kind, type ValueNode } from "graphql";

/** A field's scalar kind decides its filter operators. */
export type FieldKind = "Int" | "BigInt" | "String" | "Boolean" | "Float" | `enum:${string}`;

export interface EntitySpec {
  type: string; // GraphQL type name
  plural: string; // list query name
  singular: string; // `${singular}ById`
  fields: Record<string, { kind: FieldKind; nullable?: boolean }>;
  /** extra object-valued fields (not filterable), SDL fragments */
  extra?: string[];
}

const int = { kind: "Int" as const };
const bigint = { kind: "BigInt" as const };
const str = { kind: "String" as const };
const optStr = { kind: "String" as const, nullable: true };
const bool = { kind: "Boolean" as const };

export const ENTITIES: EntitySpec[] = [
  {
    type: "Twin",
    plural: "twins",
    singular: "twin",
    fields: { id: str, gridVersion: int, twinID: int, accountID: str, relay: optStr, publicKey: optStr },
  },
  {
    type: "Farm",
    plural: "farms",
    singular: "farm",
    fields: {
      id: str,
      gridVersion: int,
      farmID: int,
      name: str,
      twinID: int,
      pricingPolicyID: int,
      certification: { kind: "enum:FarmCertification", nullable: true },
      stellarAddress: optStr,
      dedicatedFarm: { kind: "Boolean", nullable: true },
    },
    extra: ["publicIPs: [PublicIp!]!"],
  },
  {
    type: "PublicIp",
    plural: "publicIps",
    singular: "publicIp",
    fields: { id: str, ip: str, gateway: str, contractId: bigint },
  },
  {
    type: "Node",
    plural: "nodes",
    singular: "node",
    fields: {
      id: str,
      gridVersion: int,
      nodeID: int,
      farmID: int,
      twinID: int,
      country: optStr,
      city: optStr,
      uptime: { kind: "BigInt", nullable: true },
      created: int,
      farmingPolicyId: int,
      certification: { kind: "enum:NodeCertification", nullable: true },
      secureBoot: { kind: "Boolean", nullable: true },
      virtualized: { kind: "Boolean", nullable: true },
      serialNumber: optStr,
      createdAt: bigint,
      updatedAt: bigint,
      dedicated: bool,
      extraFee: { kind: "BigInt", nullable: true },
    },
    extra: ["location: Location!", "publicConfig: PublicConfig", "resourcesTotal: NodeResourcesTotal", "power: NodePower"],
  },
  {
    type: "NodeContract",
    plural: "nodeContracts",
    singular: "nodeContract",
    fields: {
      id: str,
      gridVersion: int,
      contractID: bigint,
      twinID: int,
      nodeID: int,
      deploymentData: str,
      deploymentHash: str,
      numberOfPublicIPs: int,
      state: { kind: "enum:ContractState" },
      createdAt: bigint,
      solutionProviderID: { kind: "Int", nullable: true },
    },
    extra: ["resourcesUsed: ContractResources"],
  },
  {
    type: "NameContract",
    plural: "nameContracts",
    singular: "nameContract",
    fields: {
      id: str,
      gridVersion: int,
      contractID: bigint,
      twinID: int,
      name: str,
      state: { kind: "enum:ContractState" },
      createdAt: bigint,
      solutionProviderID: { kind: "Int", nullable: true },
    },
  },
  {
    type: "RentContract",
    plural: "rentContracts",
    singular: "rentContract",
    fields: {
      id: str,
      gridVersion: int,
      contractID: bigint,
      twinID: int,
      nodeID: int,
      state: { kind: "enum:ContractState" },
      createdAt: bigint,
      solutionProviderID: { kind: "Int", nullable: true },
    },
  },
  {
    type: "ContractBillReport",
    plural: "contractBillReports",
    singular: "contractBillReport",
    fields: {
      id: str,
      contractID: bigint,
      discountReceived: { kind: "enum:DiscountLevel" },
      amountBilled: bigint,
      timestamp: bigint,
    },
  },
];

const ENUMS: Record<string, string[]> = {
  ContractState: ["Created", "Deleted", "OutOfFunds", "GracePeriod"],
  DiscountLevel: ["None", "Default", "Bronze", "Silver", "Gold"],
  FarmCertification: ["NotCertified", "Gold"],
  NodeCertification: ["Diy", "Certified"],
  PowerState: ["Up", "Down"],
};

const FIXED = `
type Location { id: String! longitude: String! latitude: String! }
type PublicConfig { id: String! ipv4: String ipv6: String gw4: String gw6: String domain: String }
type NodeResourcesTotal { id: String! hru: BigInt! sru: BigInt! cru: BigInt! mru: BigInt! }
type NodePower { state: PowerState target: PowerState }
type ContractResources { id: String! hru: BigInt! sru: BigInt! cru: BigInt! mru: BigInt! }
type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String! endCursor: String! }
`;

export function operators(kind: FieldKind): string[] {
  const base = ["isNull", "eq", "not_eq"];
  if (kind === "Boolean") return base;
  if (kind.startsWith("enum:")) return [...base, "in", "not_in"];
  const ordered = [...base, "gt", "gte", "lt", "lte", "in", "not_in"];
  if (kind !== "String") return ordered;
  return [
    ...ordered,
    "contains",
    "not_contains",
    "containsInsensitive",
    "not_containsInsensitive",
    "startsWith",
    "not_startsWith",
    "endsWith",
    "not_endsWith",
  ];
}

function gqlType(kind: FieldKind): string {
  return kind.startsWith("enum:") ? kind.slice(5) : kind;
}

export function schemaSDL(): string {
  const out: string[] = ["scalar BigInt", FIXED];
  for (const [name, values] of Object.entries(ENUMS)) out.push(`enum ${name} { ${values.join(" ")} }`);
  const queries: string[] = [];
  for (const e of ENTITIES) {
    const fields = Object.entries(e.fields).map(([f, s]) => `${f}: ${gqlType(s.kind)}${s.nullable ? "" : "!"}`);
    out.push(`type ${e.type} { ${[...fields, ...(e.extra ?? [])].join(" ")} }`);
    const where: string[] = [];
    for (const [f, s] of Object.entries(e.fields)) {
      for (const op of operators(s.kind)) {
        const t = op === "isNull" ? "Boolean" : op.endsWith("in") && !op.includes("contains") ? `[${gqlType(s.kind)}!]` : gqlType(s.kind);
        where.push(`${f}_${op}: ${t}`);
      }
    }
    where.push(`AND: [${e.type}WhereInput!]`, `OR: [${e.type}WhereInput!]`);
    out.push(`input ${e.type}WhereInput { ${where.join(" ")} }`);
    const order = Object.keys(e.fields).flatMap((f) => [`${f}_ASC`, `${f}_DESC`]);
    out.push(`enum ${e.type}OrderByInput { ${order.join(" ")} }`);
    out.push(`type ${e.type}Edge { node: ${e.type}! cursor: String! }`);
    out.push(`type ${e.type}sConnection { edges: [${e.type}Edge!]! pageInfo: PageInfo! totalCount: Int! }`);
    queries.push(
      `${e.plural}(where: ${e.type}WhereInput, orderBy: [${e.type}OrderByInput!], offset: Int, limit: Int): [${e.type}!]!`,
      `${e.singular}ById(id: String!): ${e.type}`,
      `${e.plural}Connection(orderBy: [${e.type}OrderByInput!]!, after: String, first: Int, where: ${e.type}WhereInput): ${e.type}sConnection!`,
    );
  }
  out.push(`type Query { ${queries.join("\n  ")} }`);
  return out.join("\n");
}

function toBig(v: unknown): number {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
  throw new TypeError(`BigInt cannot represent ${JSON.stringify(v)}: send an integer or a decimal string`);
}

export function buildIndexerSchema(): GraphQLSchema {
  const schema = buildSchema(schemaSDL());
  // BigInt travels as a decimal string (subsquid); input accepts numbers too (gc sends contractId as a number)
  const big = schema.getType("BigInt")!;
  const literal = (ast: ValueNode) => {
    if (ast.kind === Kind.INT || ast.kind === Kind.STRING) return toBig(ast.value);
    throw new TypeError("BigInt literal must be an integer or a string");
  };
  Object.assign(big, {
    coerceOutputValue: (v: unknown) => String(v),
    serialize: (v: unknown) => String(v),
    coerceInputValue: toBig,
    parseValue: toBig,
    coerceInputLiteral: literal,
    parseLiteral: literal,
  });
  return schema;
}
