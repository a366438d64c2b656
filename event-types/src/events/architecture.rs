//! ARCHITECTURE: generated architecture diagrams.

model! {
    /// A node of a diagram.
    pub struct DiagramNode {
        required {
            id: String = "Node id.",
            label: String = "Display label.",
        }
        optional {
            kind: String = "Node kind (`service`, `database`, `queue`).",
        }
    }
}

model! {
    /// An edge of a diagram.
    pub struct DiagramEdge {
        required {
            from: String = "Source node id.",
            to: String = "Target node id.",
        }
        optional {
            label: String = "Display label.",
        }
    }
}

model! {
    /// An architecture diagram, as source text, as a graph, or both.
    pub struct Diagram {
        required {}
        optional {
            name: String = "Display name.",
            format: String = "Format of `content` (`mermaid`, `dot`).",
            content: String = "Diagram source.",
            nodes: Vec<DiagramNode> = "Nodes of the graph.",
            edges: Vec<DiagramEdge> = "Edges of the graph.",
            version: u32 = "Revision, growing by one per update.",
        }
    }
}

event! {
    /// A diagram was created or changed.
    pub struct ArchitectureDiagramUpdate {
        event_type: "architecture_diagram_update",
        category: Architecture,
        priority: Low,
        subject: "{diagramId}" => |e| e.diagram_id.clone(),
        final: false,
        required {
            diagram_id: String = "The diagram's id.",
            diagram: Diagram = "The diagram as it is now.",
        }
        optional {}
    }
}
