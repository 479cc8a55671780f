import type { OpenAPIObject } from '@nestjs/swagger';

/** One shape a body may take: a subset of its class's fields, some required. */
export interface BodyShape {
  title: string;
  description: string;
  required: string[];
  optional?: string[];
  /** A body of this shape the service accepts. */
  example: Record<string, unknown>;
}

const shapesByClass = new Map<string, BodyShape[]>();

/**
 * Documents a body class as exactly one of `shapes` (`oneOf`, each closed to other fields), the
 * first one's example being the body's. The class still validates each field; the service
 * checks which shape was sent. A new shape is one more entry.
 */
export const ApiShapes =
  (...shapes: BodyShape[]): ClassDecorator =>
  (target) => {
    shapesByClass.set(target.name, shapes);
  };

/** Replaces each @ApiShapes class's schema by its shapes, built from the class's own properties. */
export function documentShapes(document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  for (const [name, shapes] of shapesByClass) {
    const schema = schemas[name];
    if (!schema || !('properties' in schema) || !schema.properties) continue;
    const { properties } = schema;
    schemas[name] = {
      description: schema.description,
      oneOf: shapes.map((shape) => ({
        type: 'object',
        title: shape.title,
        description: shape.description,
        required: shape.required,
        properties: Object.fromEntries(
          [...shape.required, ...(shape.optional ?? [])].map((field) => {
            if (!properties[field]) throw new Error(`${name} has no property ${field} for its shape "${shape.title}"`);
            return [field, properties[field]];
          }),
        ),
        additionalProperties: false,
        example: shape.example,
      })),
      example: shapes[0].example,
    };
  }
}
