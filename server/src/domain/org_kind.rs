use super::named_enum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrgKind {
    Force,
    PccOffice,
    NationalBody,
    Supplier,
    Operator,
}

named_enum!(OrgKind, "organisation kind", {
    Force => "force",
    PccOffice => "pcc_office",
    NationalBody => "national_body",
    Supplier => "supplier",
    Operator => "operator",
});
